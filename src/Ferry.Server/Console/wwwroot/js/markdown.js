// Minimal Markdown for template READMEs: headings, paragraphs, fenced and inline code, bullet and numbered lists,
// **bold** and [links](https://…). It builds DOM nodes, never HTML, so a README's "<script>" stays visible text.

import { h } from './dom.js';

/** Renders `text` into a fragment. README headings start one level below the page's own heading. */
export function renderMarkdown(text) {
  const fragment = document.createDocumentFragment();
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  let paragraph = [];
  let list = null;

  const flushParagraph = () => {
    if (paragraph.length > 0) fragment.append(h('p', {}, inline(paragraph.join(' '))));
    paragraph = [];
  };
  const flushList = () => {
    if (list) fragment.append(list);
    list = null;
  };

  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)\s*$/.exec(line);
    if (fence) {
      flushParagraph();
      flushList();
      const code = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence[1]); i++) code.push(lines[i]);
      fragment.append(h('pre', {}, h('code', { dataset: fence[2] ? { language: fence[2] } : {} }, code.join('\n'))));
      continue;
    }

    const heading = /^(#{1,6})\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading) {
      flushParagraph();
      flushList();
      fragment.append(h(`h${Math.min(6, heading[1].length + 1)}`, {}, inline(heading[2])));
      continue;
    }

    const item = /^\s*(?:([-*+])|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      flushParagraph();
      const tag = item[1] ? 'ul' : 'ol';
      if (list?.tagName.toLowerCase() !== tag) {
        flushList();
        list = h(tag);
      }
      list.append(h('li', {}, inline(item[3])));
      continue;
    }

    if (line.trim() === '') {
      flushParagraph();
      flushList();
      continue;
    }

    if (list && /^\s{2,}\S/.test(line)) {
      list.lastElementChild.append(' ', ...inline(line.trim()));
      continue;
    }

    flushList();
    paragraph.push(line.trim());
  }

  flushParagraph();
  flushList();
  return fragment;
}

const INLINE = /`([^`]+)`|\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)/g;

/** Inline code, bold and links; links only to http(s) (no javascript: or data: URLs), opened in a new tab. */
function inline(text) {
  const nodes = [];
  let last = 0;
  for (const match of text.matchAll(INLINE)) {
    if (match.index > last) nodes.push(text.slice(last, match.index));
    const [whole, code, bold, label, target] = match;
    if (code !== undefined) nodes.push(h('code', {}, code));
    else if (bold !== undefined) nodes.push(h('strong', {}, bold));
    else if (/^https?:\/\//i.test(target)) nodes.push(h('a', { href: target, target: '_blank', rel: 'noopener noreferrer' }, label));
    else nodes.push(whole);
    last = match.index + whole.length;
  }
  if (last < text.length) nodes.push(text.slice(last));
  return nodes;
}
