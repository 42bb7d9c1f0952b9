/** Credentials written into a repository URL are removed from what is shown. */
import { describe, expect, it } from 'vitest';
import { summarizeStderr } from '../../controller/source/git-command.ts';
import { credentialRedactor, redactUrl } from '../../controller/source/redact-url.ts';

describe('redactUrl', () => {
  it('drops the userinfo of URLs with a scheme, keeps scp-like addresses and paths', () => {
    expect(redactUrl('https://user:p%40ss@github.com/org/repo.git')).toBe('https://github.com/org/repo.git');
    expect(redactUrl('https://ghp_token123456@github.com/org/repo.git')).toBe('https://github.com/org/repo.git');
    expect(redactUrl('ssh://git@github.com/org/repo.git')).toBe('ssh://github.com/org/repo.git');
    expect(redactUrl('git@github.com:org/repo.git')).toBe('git@github.com:org/repo.git');
    expect(redactUrl('/srv/repos/app')).toBe('/srv/repos/app');
  });
});

describe('credentialRedactor', () => {
  it('removes the URL userinfo and the password or token wherever it appears, encoded or not', () => {
    const redact = credentialRedactor('https://deploy:p%40ssw0rd!@git.example.com/app.git');
    expect(redact("fatal: unable to access 'https://deploy:p%40ssw0rd!@git.example.com/app.git/': 403")).toBe("fatal: unable to access 'https://git.example.com/app.git/': 403");
    expect(redact('auth failed for p@ssw0rd! and p%40ssw0rd!')).toBe('auth failed for *** and ***');
    const token = credentialRedactor('https://ghp_abcdef123456@github.com/org/repo.git');
    expect(token('token ghp_abcdef123456 rejected')).toBe('token *** rejected');
  });

  it('leaves text alone when the URL has no credentials', () => {
    expect(credentialRedactor('/srv/repo')('fatal: /srv/repo: not found')).toBe('fatal: /srv/repo: not found');
  });
});

describe('summarizeStderr', () => {
  it("keeps git's fatal and error lines, drops hints", () => {
    expect(summarizeStderr("hint: try this\nfatal: '/x' does not appear to be a git repository\nfatal: Could not read from remote repository.\n\nPlease make sure you have the correct access rights\n")).toBe(
      "fatal: '/x' does not appear to be a git repository; fatal: Could not read from remote repository.",
    );
    expect(summarizeStderr('warning: something odd\n')).toBe('warning: something odd');
  });
});
