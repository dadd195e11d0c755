// Whether a command could hold a secret at all: checked on the guard's hot path before the redaction
// detectors are loaded (src/guard/secrets.ts, outside the hook bundle), which most commands never need.

/**
 * Whether a built-in detector could match at all: a token long enough to be a key or token, or a
 * word that gives a short secret its context (a password flag, an Authorization header, user:pass@).
 */
export function mayHoldSecret(text: string): boolean {
  return /[A-Za-z0-9_\-+/=.]{16,}/.test(text) || /pass|pwd|secret|token|key|auth|bearer|cred|login|\s-p\S|:\/\/[^\s/@]*:[^\s/@]*@/i.test(text);
}
