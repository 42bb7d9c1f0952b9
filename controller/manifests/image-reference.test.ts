import { describe, expect, it } from 'vitest';
import { imagePin } from './image-reference.ts';

describe('imagePin', () => {
  it.each([
    ['nginx', { kind: 'none' }],
    ['nginx:latest', { kind: 'tag', tag: 'latest' }],
    ['070017891928.dkr.ecr.ap-southeast-2.amazonaws.com/filot-backend:2024-12-01', { kind: 'tag', tag: '2024-12-01' }],
    ['registry.local:5000/team/app', { kind: 'none' }],
    ['registry.local:5000/team/app:1.2.3', { kind: 'tag', tag: '1.2.3' }],
    [`app@sha256:${'a'.repeat(64)}`, { kind: 'digest' }],
  ])('%s', (image, expected) => {
    expect(imagePin(image)).toEqual(expected);
  });
});
