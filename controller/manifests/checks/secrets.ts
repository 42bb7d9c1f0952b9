/** No secret is written in plain text: environment values and log options hold references only. */
import { detectPlaintextSecret } from '../secret-detection.ts';
import type { Check } from './context.ts';

const TD = ['spec', 'taskDefinition'] as const;

export const noPlaintextSecrets: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    const { family } = entry.manifest.spec.taskDefinition;
    const arnExample = `arn:aws:secretsmanager:<region>:<account>:secret:${family}/<name>`;
    entry.manifest.spec.taskDefinition.containerDefinitions.forEach((container, c) => {
      (container.environment ?? []).forEach((variable, v) => {
        if (variable.name === undefined || variable.value === undefined) return;
        const secret = detectPlaintextSecret(variable.name, variable.value);
        if (!secret) return;
        ctx.report(entry, {
          rule: 'secrets/plaintext',
          path: [...TD, 'containerDefinitions', c, 'environment', v, 'value'],
          message: `environment variable ${variable.name} of container ${container.name} holds a plaintext secret: ${secret.reason}`,
          expected: 'a reference in `secrets[].valueFrom`',
          found: `a literal value (${variable.value.length} characters, not shown)`,
          fix: `store it in AWS Secrets Manager, remove it from \`environment\` and add \`secrets: [{ name: ${variable.name}, valueFrom: ${arnExample} }]\``,
        });
      });
      const options = container.logConfiguration?.options ?? {};
      for (const [option, value] of Object.entries(options)) {
        if (typeof value !== 'string') continue;
        const secret = detectPlaintextSecret(option, value);
        if (!secret) continue;
        ctx.report(entry, {
          rule: 'secrets/plaintext',
          path: [...TD, 'containerDefinitions', c, 'logConfiguration', 'options', option],
          message: `log option ${option} of container ${container.name} holds a plaintext secret: ${secret.reason}`,
          expected: 'a reference in `logConfiguration.secretOptions[].valueFrom`',
          found: `a literal value (${value.length} characters, not shown)`,
          fix: `store it in AWS Secrets Manager and move it to \`logConfiguration.secretOptions: [{ name: ${option}, valueFrom: ${arnExample} }]\``,
        });
      }
    });
  }
};
