/** What a container image reference pins: a digest, a tag, or nothing (Docker then pulls `latest`). */
export type ImagePin = { readonly kind: 'digest' } | { readonly kind: 'tag'; readonly tag: string } | { readonly kind: 'none' };

export function imagePin(image: string): ImagePin {
  if (/@sha256:[0-9a-f]{64}$/i.test(image)) return { kind: 'digest' };
  const lastSlash = image.lastIndexOf('/');
  const name = image.slice(lastSlash + 1);
  const colon = name.lastIndexOf(':');
  return colon === -1 ? { kind: 'none' } : { kind: 'tag', tag: name.slice(colon + 1) };
}
