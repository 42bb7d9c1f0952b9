import { describe, expect, it } from 'vitest';
import { listChoices, suggest } from './suggest.ts';

describe('suggest', () => {
  it.each([
    ['desiredCont', ['desiredCount', 'deploymentConfiguration'], 'desiredCount'],
    ['fargate', ['EC2', 'FARGATE', 'EXTERNAL'], 'FARGATE'],
    ['containerDefinition', ['containerDefinitions', 'cpu'], 'containerDefinitions'],
    ['launch_type', ['launchType', 'cluster'], 'launchType'],
    ['zzzzzz', ['desiredCount', 'cluster'], undefined],
    ['', ['a'], undefined],
  ])('%s → %s', (input, candidates, expected) => {
    expect(suggest(input, candidates)).toBe(expected);
  });
});

describe('listChoices', () => {
  it('joins with commas and "or", and cuts long lists', () => {
    expect(listChoices(['a'])).toBe('`a`');
    expect(listChoices(['a', 'b'])).toBe('`a` or `b`');
    expect(listChoices(['a', 'b', 'c'])).toBe('`a`, `b` or `c`');
    expect(listChoices(['a', 'b', 'c', 'd'], 2)).toBe('`a`, `b` or 2 more');
  });
});
