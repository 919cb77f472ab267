/** Escaping for the XML feeds and HTML pages the demo world writes by hand. */

// XML 1.0 forbids most C0 control characters even when escaped, so they are dropped rather than encoded.
// eslint-disable-next-line no-control-regex
const INVALID_XML = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

/** Escapes text for XML element content and attribute values. */
export function escapeXml(text: string): string {
  return text.replace(INVALID_XML, '').replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c);
}

/** Escapes text for HTML content and attributes (`&#39;` because `&apos;` is not HTML 4). */
export function escapeHtml(text: string): string {
  return escapeXml(text).replace(/&apos;/g, '&#39;');
}
