// The sample index's thumbnails, drawn at start-up with sharp from a shape and two colours, so
// the repository ships no binary images and a real CLIP model has something plain to recognise
// ("a red circle").
import sharp from 'sharp';
import { z } from 'zod';

/** What a sample thumbnail shows. */
export const ThumbnailSpecSchema = z.strictObject({
  shape: z.enum(['circle', 'square', 'triangle', 'star', 'stripes']),
  /** Shape colour, `#rrggbb`. */
  fill: z.string().regex(/^#[0-9a-f]{6}$/i),
  /** Background colour, `#rrggbb`. */
  background: z.string().regex(/^#[0-9a-f]{6}$/i),
});

/** See {@link ThumbnailSpecSchema}. */
export type ThumbnailSpec = z.infer<typeof ThumbnailSpecSchema>;

const SIZE = 224; // CLIP's input size: no resampling blur in the crop

function shapeSvg({ shape, fill }: ThumbnailSpec): string {
  switch (shape) {
    case 'circle':
      return `<circle cx="112" cy="112" r="80" fill="${fill}"/>`;
    case 'square':
      return `<rect x="36" y="36" width="152" height="152" fill="${fill}"/>`;
    case 'triangle':
      return `<polygon points="112,28 200,192 24,192" fill="${fill}"/>`;
    case 'star': {
      const pts = Array.from({ length: 10 }, (_, i) => {
        const r = i % 2 === 0 ? 92 : 38;
        const a = (Math.PI / 5) * i - Math.PI / 2;
        return `${(112 + r * Math.cos(a)).toFixed(1)},${(112 + r * Math.sin(a)).toFixed(1)}`;
      });
      return `<polygon points="${pts.join(' ')}" fill="${fill}"/>`;
    }
    case 'stripes':
      return Array.from(
        { length: 5 },
        (_, i) => `<rect x="0" y="${12 + i * 44}" width="224" height="22" fill="${fill}"/>`,
      ).join('');
  }
}

/** The thumbnail as PNG bytes. */
export async function drawThumbnail(spec: ThumbnailSpec): Promise<Buffer> {
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SIZE}" height="${SIZE}">` +
    `<rect width="${SIZE}" height="${SIZE}" fill="${spec.background}"/>${shapeSvg(spec)}</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}
