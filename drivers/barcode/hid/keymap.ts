/**
 * The US keyboard layout a keyboard-wedge scanner types with, keyed both by Linux key code (`/dev/input/event*`)
 * and by HID usage (boot reports). Linux key codes are not HID usages (devices.md §2), so every key carries both.
 * Scanners are set to the US layout by default; a scanner set to another layout types other codes for the same
 * characters, which is why unknown codes become garbage rather than a guess.
 */

export type Terminator = 'enter' | 'kpenter' | 'tab';

export type KeyDef =
  /** `keypad`: the character does not depend on Shift, and Ctrl chords on it are not ASCII control characters. */
  | { kind: 'char'; base: string; shifted: string; letter: boolean; keypad: boolean }
  | { kind: 'terminator'; terminator: Terminator }
  | { kind: 'capslock' }
  /** Known keys that type nothing a scanner means (NumLock, ScrollLock): neither text nor garbage. */
  | { kind: 'ignored' };

type Row = { linux: number | null; usage: number | null; def: KeyDef };

const char = (base: string, shifted: string, keypad = false): KeyDef => ({
  kind: 'char',
  base,
  shifted,
  letter: /^[a-z]$/.test(base),
  keypad,
});

const rows: Row[] = [];
const add = (linux: number | null, usage: number | null, def: KeyDef) => rows.push({ linux, usage, def });

// Digit row: KEY_1=2…KEY_0=11; usages 0x1E…0x27.
'1234567890'.split('').forEach((d, i) => add(2 + i, 0x1e + i, char(d, '!@#$%^&*()'[i] ?? d)));
// Letters: Linux codes follow the physical rows (KEY_Q=16, KEY_A=30, KEY_Z=44); usages are alphabetical from 0x04.
const letterRows: Array<[number, string]> = [
  [16, 'qwertyuiop'],
  [30, 'asdfghjkl'],
  [44, 'zxcvbnm'],
];
for (const [first, letters] of letterRows) {
  letters.split('').forEach((l, i) => add(first + i, 0x04 + l.charCodeAt(0) - 0x61, char(l, l.toUpperCase())));
}
add(12, 0x2d, char('-', '_'));
add(13, 0x2e, char('=', '+'));
add(26, 0x2f, char('[', '{'));
add(27, 0x30, char(']', '}'));
add(43, 0x31, char('\\', '|'));
// HID "Non-US # and ~" (0x32): Linux maps it to KEY_BACKSLASH, so the US layout types `\` with it.
add(null, 0x32, char('\\', '|'));
add(39, 0x33, char(';', ':'));
add(40, 0x34, char("'", '"'));
add(41, 0x35, char('`', '~'));
add(51, 0x36, char(',', '<'));
add(52, 0x37, char('.', '>'));
add(53, 0x38, char('/', '?'));
add(57, 0x2c, char(' ', ' '));

// Keypad. Scanners use keypad digits with NumLock assumed on, so NumLock state is not tracked.
const kp = (c: string) => char(c, c, true);
add(98, 0x54, kp('/'));
add(55, 0x55, kp('*'));
add(74, 0x56, kp('-'));
add(78, 0x57, kp('+'));
add(79, 0x59, kp('1'));
add(80, 0x5a, kp('2'));
add(81, 0x5b, kp('3'));
add(75, 0x5c, kp('4'));
add(76, 0x5d, kp('5'));
add(77, 0x5e, kp('6'));
add(71, 0x5f, kp('7'));
add(72, 0x60, kp('8'));
add(73, 0x61, kp('9'));
add(82, 0x62, kp('0'));
add(83, 0x63, kp('.'));
add(117, 0x67, kp('='));

add(28, 0x28, { kind: 'terminator', terminator: 'enter' });
add(96, 0x58, { kind: 'terminator', terminator: 'kpenter' });
add(15, 0x2b, { kind: 'terminator', terminator: 'tab' });
add(58, 0x39, { kind: 'capslock' });
add(69, 0x53, { kind: 'ignored' }); // NumLock
add(70, 0x47, { kind: 'ignored' }); // ScrollLock

export const LINUX_KEYS: ReadonlyMap<number, KeyDef> = new Map(
  rows.flatMap((r) => (r.linux === null ? [] : [[r.linux, r.def] as const])),
);
export const HID_USAGES: ReadonlyMap<number, KeyDef> = new Map(
  rows.flatMap((r) => (r.usage === null ? [] : [[r.usage, r.def] as const])),
);

/** Linux modifier key codes; in HID boot reports the modifiers are bits of byte 0 instead. */
export const LINUX_MODIFIERS: ReadonlyMap<number, 'shift' | 'ctrl' | 'altOrMeta'> = new Map([
  [42, 'shift'], // KEY_LEFTSHIFT
  [54, 'shift'], // KEY_RIGHTSHIFT
  [29, 'ctrl'], // KEY_LEFTCTRL
  [97, 'ctrl'], // KEY_RIGHTCTRL
  [56, 'altOrMeta'], // KEY_LEFTALT
  [100, 'altOrMeta'], // KEY_RIGHTALT
  [125, 'altOrMeta'], // KEY_LEFTMETA
  [126, 'altOrMeta'], // KEY_RIGHTMETA
]);

/**
 * Ctrl + key → ASCII control character, as in caret notation (Ctrl+A = 0x01 … Ctrl+] = 0x1D GS, Ctrl+_ = 0x1F).
 * Scanners type GS as Ctrl+] (devices.md §2), and "Control + ASCII" wedge modes type every control character
 * this way. Returns undefined for chords that have no control character (Ctrl+1, keypad keys).
 */
export function controlChar(def: Extract<KeyDef, { kind: 'char' }>): string | undefined {
  if (def.keypad) return undefined;
  if (def.letter) return String.fromCharCode(def.base.charCodeAt(0) & 0x1f);
  switch (def.base) {
    case '[':
    case '\\':
    case ']':
      return String.fromCharCode(def.base.charCodeAt(0) & 0x1f);
    case '2':
      return '\x00'; // Ctrl+@
    case '6':
      return '\x1e'; // Ctrl+^
    case '-':
      return '\x1f'; // Ctrl+_
    default:
      return undefined;
  }
}
