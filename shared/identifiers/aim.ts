/**
 * AIM symbology identifiers (ISO/IEC 15424): the `]Cm` prefix a scanner sends before the data. It is part of what
 * was read, not of the device: it says whether the data is a GS1 element string (FNC1 in first position) or a bare
 * EAN/UPC GTIN, so stations and the hub need it as much as drivers do. No I/O.
 *
 * References: devices.md §2 (scanners).
 */

export type Symbology =
  | 'gs1-128'
  | 'code128'
  | 'gs1-datamatrix'
  | 'datamatrix'
  | 'gs1-qr'
  | 'qr'
  | 'gs1-databar'
  | 'dotcode'
  | 'gs1-dotcode'
  | 'ean13'
  | 'ean8'
  | 'pdf417'
  | 'code39'
  | 'itf'
  | 'unknown';

/** `]` + code character + modifier → symbology; gs1 = the data is a GS1 element string (FNC1 first). */
const AIM_TABLE: Readonly<Record<string, { symbology: Symbology; gs1: boolean }>> = {
  C0: { symbology: 'code128', gs1: false },
  C1: { symbology: 'gs1-128', gs1: true },
  C2: { symbology: 'code128', gs1: false }, // FNC1 in second position: an AIM application, not GS1
  C4: { symbology: 'code128', gs1: false },
  d0: { symbology: 'datamatrix', gs1: false },
  d1: { symbology: 'datamatrix', gs1: false },
  d2: { symbology: 'gs1-datamatrix', gs1: true },
  d3: { symbology: 'datamatrix', gs1: false },
  d4: { symbology: 'datamatrix', gs1: false },
  d5: { symbology: 'gs1-datamatrix', gs1: true }, // ECI + FNC1 in first position
  d6: { symbology: 'datamatrix', gs1: false },
  // Data Matrix in the rectangular extension sizes (DMRE, ISO/IEC 21471: 8×48, 12×64 …), as zxing-cpp reports them:
  // d7 plain, d8 FNC1 in first position (GS1), d9 FNC1 in second position.
  d7: { symbology: 'datamatrix', gs1: false },
  d8: { symbology: 'gs1-datamatrix', gs1: true },
  d9: { symbology: 'datamatrix', gs1: false },
  Q0: { symbology: 'qr', gs1: false },
  Q1: { symbology: 'qr', gs1: false },
  Q2: { symbology: 'qr', gs1: false },
  Q3: { symbology: 'gs1-qr', gs1: true },
  Q4: { symbology: 'gs1-qr', gs1: true }, // ECI + FNC1 in first position
  Q5: { symbology: 'qr', gs1: false },
  Q6: { symbology: 'qr', gs1: false },
  e0: { symbology: 'gs1-databar', gs1: true },
  J0: { symbology: 'dotcode', gs1: false },
  J1: { symbology: 'gs1-dotcode', gs1: true },
  E0: { symbology: 'ean13', gs1: false }, // EAN-13 / UPC-A (13 digits): a bare GTIN, no AI
  E4: { symbology: 'ean8', gs1: false },
  L0: { symbology: 'pdf417', gs1: false },
  L1: { symbology: 'pdf417', gs1: false },
  L2: { symbology: 'pdf417', gs1: false },
  A0: { symbology: 'code39', gs1: false },
  A1: { symbology: 'code39', gs1: false },
  A3: { symbology: 'code39', gs1: false },
  A4: { symbology: 'code39', gs1: false },
  A5: { symbology: 'code39', gs1: false },
  A7: { symbology: 'code39', gs1: false },
  I0: { symbology: 'itf', gs1: false },
  I1: { symbology: 'itf', gs1: false },
};

export interface AimResult {
  symbology: Symbology;
  /** The identifier as read, e.g. `]C1`; absent when the text had no (known) prefix. */
  aim?: string;
  gs1: boolean;
  data: string;
}

/** Strip an AIM symbology identifier prefix. Unknown or missing prefix → 'unknown', text untouched. */
export function parseAimPrefix(text: string): AimResult {
  if (text.length >= 3 && text[0] === ']') {
    const code = text.slice(1, 3);
    const known = AIM_TABLE[code];
    if (known) return { symbology: known.symbology, aim: `]${code}`, gs1: known.gs1, data: text.slice(3) };
  }
  return { symbology: 'unknown', gs1: false, data: text };
}
