/** Images are pinned: an explicit tag or a digest, never `latest` or nothing. */
import { imagePin } from '../image-reference.ts';
import type { Check } from './context.ts';

export const pinnedImages: Check = (ctx) => {
  for (const entry of ctx.of('Service')) {
    entry.manifest.spec.taskDefinition.containerDefinitions.forEach((container, c) => {
      const pin = imagePin(container.image);
      if (pin.kind === 'digest' || (pin.kind === 'tag' && pin.tag !== 'latest')) return;
      ctx.report(entry, {
        rule: 'images/unpinned',
        severity: 'warning',
        path: ['spec', 'taskDefinition', 'containerDefinitions', c, 'image'],
        message:
          pin.kind === 'none'
            ? `image of container ${container.name} has no tag, so it means \`latest\`: a rollout cannot be traced to a version, and git stops being the record of what runs`
            : `image of container ${container.name} uses the tag \`latest\`: a rollout cannot be traced to a version, and git stops being the record of what runs`,
        expected: 'an explicit tag (a version, date or git SHA) or a digest',
        found: JSON.stringify(container.image),
        fix: `pin it, e.g. \`${container.image.replace(/:latest$/, '')}:2024-12-01\` or \`…@sha256:<digest>\``,
      });
    });
  }
};
