/**
 * Text that came from someone else (a job's command, labels, errors, node
 * ids and addresses, anything a caller sent) made safe to print on a
 * terminal: control characters are shown escaped, never sent raw. An ESC
 * sequence in a command would otherwise retitle, clear or rewrite the
 * terminal of whoever runs `dist-exec list`; a bidirectional override would
 * make it show a command other than the one that runs ("Trojan Source").
 *
 * Escaped: C0 controls and DEL (`\n`, `\r`, `\t`, else `\xHH`), C1 controls
 * (`\u009b` is CSI on terminals that read 8-bit controls), line and
 * paragraph separators, and the bidirectional marks, embeddings, overrides
 * and isolates. Backslashes are left alone, so ordinary commands read as
 * they were written.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const HAS_UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

const NAMED: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(char: string): string {
  const named = NAMED[char];
  if (named) return named;
  const code = char.charCodeAt(0);
  return code < 0x80 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** `text` with every control character escaped (see above); the same string when there is none. */
export function escapeControls(text: string): string {
  return HAS_UNSAFE.test(text) ? text.replace(UNSAFE, escapeOne) : text;
}
