/** `berth.dev/depends-on` names other manifests of the source, and no dependencies form a cycle. */
import { DEPENDS_ON, DEPENDS_ON_PATH, dependencyEdges, findCycles, parseDependsOn } from '../dependencies.ts';
import type { DependencyEdge } from '../dependencies.ts';
import { formatPath } from '../diagnostics.ts';
import { KINDS } from '../kinds.ts';
import { suggest } from '../suggest.ts';
import type { ManifestEntry } from '../types.ts';
import { manifestKey } from '../types.ts';
import type { Check } from './context.ts';
import { where } from './context.ts';

/** Each `berth.dev/depends-on` item is the `Kind/name` key of another manifest among the sources. */
export const dependsOnKnown: Check = (ctx) => {
  const keys = [...new Set(ctx.declarations.map((d) => `${d.ref.kind}/${d.ref.name}`))];
  for (const entry of ctx.manifests) {
    const self = manifestKey(entry.manifest);
    const others = keys.filter((k) => k !== self);
    for (const { text, ref } of parseDependsOn(entry.manifest.metadata.annotations?.[DEPENDS_ON])) {
      // Not a key: a typo in the kind, a missing `/`, an empty item between commas.
      if (!ref) {
        const hint = suggest(text, others);
        ctx.report(entry, {
          rule: 'dependencies/unknown',
          path: DEPENDS_ON_PATH,
          message: `\`${DEPENDS_ON}\` item ${JSON.stringify(text)} is not a \`Kind/name\` key`,
          expected: `\`Kind/name\`, Kind being ${KINDS.map((k) => k.kind).join(', ')}`,
          found: JSON.stringify(text),
          fix: hint !== undefined ? `did you mean \`${hint}\`?` : 'write each item as `Kind/name` (for example `Cluster/main`), separated by commas',
        });
        continue;
      }
      // A manifest cannot be applied after itself.
      if (ref.key === self) {
        ctx.report(entry, {
          rule: 'dependencies/unknown',
          path: DEPENDS_ON_PATH,
          message: `${self} depends on itself`,
          expected: 'the keys of other manifests',
          found: JSON.stringify(text),
          fix: `remove \`${text}\` from \`${DEPENDS_ON}\``,
        });
        continue;
      }
      if (ctx.declared(ref.kind, ref.name)) continue;
      // Unknown: offer a manifest of the same kind with a close name, else one of another kind with this name.
      const sameKind = others.filter((k) => k.startsWith(`${ref.kind}/`));
      const hint = suggest(ref.key, sameKind) ?? others.find((k) => k.endsWith(`/${ref.name}`));
      ctx.report(entry, {
        rule: 'dependencies/unknown',
        path: DEPENDS_ON_PATH,
        message: `\`${DEPENDS_ON}\` names ${ref.key}, which is not among the manifests`,
        expected: sameKind.length > 0 ? `the key of ${article(ref.kind)} manifest: ${sameKind.join(', ')}` : `the key of ${article(ref.kind)} manifest`,
        found: JSON.stringify(text),
        fix: hint !== undefined
          ? `did you mean \`${hint}\`?`
          : `add ${article(ref.kind)} manifest named ${ref.name}, or remove \`${text}\` from \`${DEPENDS_ON}\``,
      });
    }
  }
};

/**
 * The manifests can be applied in some order: no chain of references and `berth.dev/depends-on`
 * entries leads from a manifest back to itself. Reported once per cycle, on the cycle's first
 * manifest in source order, at the field that makes its edge. A manifest depending on itself is
 * reported by dependsOnKnown.
 */
export const dependencyCycles: Check = (ctx) => {
  const entries = new Map<string, ManifestEntry>();
  for (const entry of ctx.manifests) {
    const key = manifestKey(entry.manifest);
    if (!entries.has(key)) entries.set(key, entry);
  }
  const edges = dependencyEdges(ctx.manifests);
  for (const cycle of findCycles([...entries.keys()], edges)) {
    if (cycle.length < 2) continue;
    // Each link of the cycle with the edges that make it, and where the first of them is written.
    const links = cycle.map((from, i) => {
      const to = cycle[(i + 1) % cycle.length] ?? from;
      const made = edges.filter((e) => e.from === from && e.to === to);
      const source = entries.get(from)?.source;
      const at = (edge: DependencyEdge | undefined): string => (source && edge ? where(source, edge.path, 'value') : '');
      return { from, to, made, at };
    });
    const [first] = links;
    const entry = entries.get(cycle[0] ?? '');
    const firstEdge = first?.made[0];
    if (!entry || !firstEdge) continue;
    // The links made by depends-on alone: removing one of those entries breaks the loop.
    const breakable = links.filter((l) => l.made.every((e) => e.via === 'dependsOn'));
    const entriesList = breakable.map((l) => `\`${l.to}\` on ${l.from} (${l.at(l.made[0])})`).join(', ');
    const referencesList = links.map((l) => `\`${formatPath(l.made[0]?.path ?? [])}\` of ${l.from} (${l.at(l.made[0])})`).join(', ');
    ctx.report(entry, {
      rule: 'dependencies/cycle',
      path: firstEdge.path,
      message: `dependency cycle: ${[...cycle, cycle[0]].join(' → ')}`,
      expected: 'dependencies that can be applied one after another, with no cycle',
      found: links.map((l) => `${l.from} → ${l.to} (${formatPath(l.made[0]?.path ?? [])}, ${l.at(l.made[0])})`).join('; '),
      fix: breakable.length === 1
        ? `remove the \`${DEPENDS_ON}\` entry that closes the loop: ${entriesList}`
        : breakable.length > 1
          ? `remove one of the \`${DEPENDS_ON}\` entries that close the loop: ${entriesList}`
          : `remove one of the references that close the loop: ${referencesList}`,
    });
  }
};

/** `a Service`, `an Alarm`. */
function article(word: string): string {
  return `${/^[AEIOU]/.test(word) ? 'an' : 'a'} ${word}`;
}
