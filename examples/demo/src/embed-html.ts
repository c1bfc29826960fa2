// The Discord embed as Discord's dark theme shows it, as one self-contained HTML page (no
// network: images are inlined as data: URIs), for demo-output/discord-embed.html and its
// screenshot.
import type { DiscordWebhookBody } from '@pmoves/publisher-meta';

const escape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The subset of Discord markdown the PMOVES embed uses: `code`, **bold**, _italic_, [text](url), newlines. */
export function renderMarkdown(text: string): string {
  let out = '';
  // Code spans first, so nothing inside them is formatted.
  for (const [i, part] of text.split('`').entries()) {
    if (i % 2 === 1) {
      out += `<code>${escape(part)}</code>`;
      continue;
    }
    out += escape(part)
      .replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/(^|[\s(])_([^_]+)_(?=$|[\s).,])/g, '$1<em>$2</em>');
  }
  return out.replace(/\n/g, '<br>');
}

const hex = (color: number | undefined) => `#${(color ?? 0x1e1f22).toString(16).padStart(6, '0')}`;

/**
 * A page showing the webhook message. `images` maps URLs in the embed (thumbnail, image) to
 * inline data so the page renders offline; an image with no entry is shown as a placeholder.
 */
export function renderEmbedHtml(
  body: DiscordWebhookBody,
  opts: { images?: Record<string, string>; note?: string; at?: Date } = {},
): string {
  const img = (url: string | undefined) => (url ? (opts.images?.[url] ?? null) : null);
  const embeds = (body.embeds ?? [])
    .map((e) => {
      const fields = (e.fields ?? [])
        .map(
          (f) =>
            `<div class="field${f.inline ? ' inline' : ''}"><div class="fname">${renderMarkdown(f.name)}</div>` +
            `<div class="fvalue">${renderMarkdown(f.value)}</div></div>`,
        )
        .join('');
      const thumb = e.thumbnail?.url;
      const thumbSrc = img(thumb);
      const thumbHtml = thumb
        ? thumbSrc
          ? `<img class="thumb" src="${thumbSrc}" alt="thumbnail">`
          : `<div class="thumb missing" title="${escape(thumb)}">thumbnail</div>`
        : '';
      const title = e.title
        ? e.url
          ? `<a class="title" href="${escape(e.url)}">${escape(e.title)}</a>`
          : `<div class="title">${escape(e.title)}</div>`
        : '';
      const footer = e.footer?.text ? `<div class="footer">${escape(e.footer.text)}</div>` : '';
      return (
        `<div class="embed" style="border-left-color:${hex(e.color)}"><div class="grid"><div class="main">` +
        (e.author?.name ? `<div class="author">${escape(e.author.name)}</div>` : '') +
        title +
        (e.description ? `<div class="desc">${renderMarkdown(e.description)}</div>` : '') +
        `<div class="fields">${fields}</div></div>${thumbHtml}</div>${footer}</div>`
      );
    })
    .join('');
  const at = (opts.at ?? new Date()).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit' });
  const name = escape(body.username ?? 'PMOVES');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Discord embed — ${name}</title>
<style>
  body { margin: 0; background: #313338; color: #dbdee1; font: 16px/1.375 "gg sans", "Noto Sans", "DejaVu Sans", Helvetica, Arial, sans-serif; }
  .msg { display: flex; gap: 16px; padding: 16px 48px 16px 16px; max-width: 620px; }
  .avatar { width: 40px; height: 40px; border-radius: 50%; background: #22c55e; flex: none; display: flex; align-items: center; justify-content: center; font-weight: 700; color: #fff; }
  .head { display: flex; align-items: baseline; gap: 8px; }
  .user { color: #f2f3f5; font-weight: 500; }
  .bot { background: #5865f2; color: #fff; font-size: 10px; padding: 1px 4px; border-radius: 3px; font-weight: 600; }
  .time { color: #949ba4; font-size: 12px; }
  .content { margin: 2px 0 0; }
  .embed { margin-top: 4px; background: #2b2d31; border-left: 4px solid; border-radius: 4px; padding: 8px 16px 16px 12px; max-width: 520px; }
  .grid { display: flex; gap: 16px; }
  .main { flex: 1; min-width: 0; }
  .author { font-size: 14px; font-weight: 600; color: #f2f3f5; margin-top: 8px; }
  .title { display: block; font-weight: 600; color: #00a8fc; margin-top: 8px; text-decoration: none; }
  div.title { color: #f2f3f5; }
  .desc { font-size: 14px; margin-top: 8px; white-space: normal; }
  .fields { display: flex; flex-wrap: wrap; gap: 8px 0; margin-top: 8px; }
  .field { flex: 1 1 100%; font-size: 14px; min-width: 0; }
  .field.inline { flex: 1 1 30%; padding-right: 8px; }
  .fname { font-weight: 600; color: #f2f3f5; margin-bottom: 2px; }
  .fvalue { overflow-wrap: anywhere; }
  .thumb { width: 80px; height: 80px; object-fit: contain; border-radius: 4px; margin-top: 8px; flex: none; }
  .thumb.missing { background: #1e1f22; color: #949ba4; font-size: 11px; display: flex; align-items: center; justify-content: center; }
  .footer { font-size: 12px; color: #b5bac1; margin-top: 8px; }
  a { color: #00a8fc; text-decoration: none; }
  code { background: #1e1f22; border-radius: 3px; padding: 0 3px; font: 85% "DejaVu Sans Mono", Consolas, monospace; }
  .note { color: #949ba4; font-size: 12px; padding: 0 16px 16px 72px; max-width: 560px; }
</style></head>
<body><div class="msg"><div class="avatar">P</div><div>
<div class="head"><span class="user">${name}</span><span class="bot">APP</span><span class="time">Today at ${at}</span></div>
${body.content ? `<div class="content">${renderMarkdown(body.content)}</div>` : ''}${embeds}
</div></div>${opts.note ? `<div class="note">${escape(opts.note)}</div>` : ''}</body></html>
`;
}
