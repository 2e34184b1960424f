import { InvalidArgumentError } from './errors.js';

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/**
 * Parses a duration such as `500ms`, `5s`, `2m`, `1h30m` or `1.5s` into
 * milliseconds. A bare number is taken as seconds, like `timeout 30`.
 * `field` names the input in the error message.
 */
export function parseDuration(text: string, field = 'duration'): number {
  const input = text.trim();
  if (/^\d+(\.\d+)?$/.test(input)) return Math.round(Number(input) * 1000);
  const part = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
  let total = 0;
  let consumed = 0;
  for (let match = part.exec(input); match; match = part.exec(input)) {
    total += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number);
    consumed = part.lastIndex;
  }
  if (input === '' || consumed !== input.length) {
    throw new InvalidArgumentError(`${field}: "${text}" is not a duration; write it like 500ms, 30s, 5m or 1h`, {
      field,
    });
  }
  return Math.round(total);
}

/** Formats milliseconds compactly: 850ms, 12.5s, 3m20s, 2h5m. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${Number((ms / 1000).toFixed(ms < 10_000 ? 2 : 1))}s`;
  if (ms < 3_600_000) {
    const s = Math.round((ms % 60_000) / 1000);
    return `${Math.floor(ms / 60_000)}m${s ? `${s}s` : ''}`;
  }
  const m = Math.round((ms % 3_600_000) / 60_000);
  return `${Math.floor(ms / 3_600_000)}h${m ? `${m}m` : ''}`;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 1024,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Parses a byte size such as `256Mi`, `1Gi`, `512MB` or `1048576`. */
export function parseBytes(text: string, field = 'size'): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const unit = match ? SIZE_UNITS[(match[2] as string).toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new InvalidArgumentError(`${field}: "${text}" is not a size; write it like 512Mi, 2Gi or 1048576`, { field });
  }
  return Math.round(Number(match[1]) * unit);
}

/** Formats bytes with binary units: 512B, 1.5Ki, 256Mi, 4Gi. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'Ki', 'Mi', 'Gi', 'Ti'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 10 ? 0 : 1;
  return `${Number(value.toFixed(digits))}${units[unit]}`;
}

/** Parses a whole number in [min, max] from a flag or config value. */
export function parseInteger(text: string, field: string, min: number, max: number): number {
  const value = Number(text.trim());
  if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
    throw new InvalidArgumentError(`${field}: "${text}" is not a whole number from ${min} to ${max}`, { field });
  }
  return value;
}
