/**
 * What a git remote and a ref may look like when they come from config: the
 * shapes git reads as a repository or a ref and nothing else. A remote that
 * starts with `-` would be read as an option (`--upload-pack=...`), and the
 * `ext::` transport runs a command, so both are refused; every character is
 * one a shell reads literally.
 */

/**
 * Whether `remote` carries credentials: a password (`user:pass@`), any user
 * part in a non-ssh URL (`https://token@host`), or a query (`?token=`). Only
 * `ssh://user@host` and `user@host:path` name a user without a secret.
 */
export function remoteHasCredentials(remote: string): boolean {
  const url = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/]*)/.exec(remote);
  if (url) {
    const [, scheme, authority] = url as unknown as [string, string, string];
    const at = authority.lastIndexOf("@");
    if (remote.includes("?")) return true;
    if (at < 0) return false;
    return authority.slice(0, at).includes(":") || !/^(ssh|git\+ssh|ssh\+git)$/i.test(scheme);
  }
  return /^[^/@]*:[^/@]*@/.test(remote);
}

/** The text with any URL credentials replaced by `***` (for messages that echo what was written). */
export function maskCredentials(text: string): string {
  return text
    .replace(/([A-Za-z][A-Za-z0-9+.-]*:\/\/)[^/@\s"]*@/g, "$1***@")
    .replace(/(^|[\s"=])[^\s"/@:=]+:[^\s"/@]*@/g, "$1***@")
    .replace(/(\?)[^\s"#]+/g, "$1***");
}

/** Why `remote` is not an absolute path, an ssh/https/git/file URL or an scp-like `user@host:path`, or undefined. */
export function gitRemoteProblem(remote: string): string | undefined {
  const path = /^\/[A-Za-z0-9_@+=:,./-]*$/;
  const url = /^(https|ssh|git|file):\/\/[A-Za-z0-9._~@:/+-]+$/;
  const scp = /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[A-Za-z0-9._~/+-]+$/;
  if (remote.length > 400) return "expected at most 400 characters";
  if (!(path.test(remote) || url.test(remote) || scp.test(remote))) {
    return "expected an absolute path, an ssh://, https://, git:// or file:// URL, or user@host:path (plain characters only)";
  }
  if (remote.split("/").includes("..")) return "expected no .. segments";
  return undefined;
}

/** A full commit id. */
export const COMMIT = /^[0-9a-f]{40}$/;

/** Why `ref` is not a branch, tag or full commit id git accepts (check-ref-format rules, plain characters), or undefined. */
export function gitRefProblem(ref: string): string | undefined {
  if (!/^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$/.test(ref)) {
    return "expected a branch, tag or full commit id: 1-200 of [A-Za-z0-9._/-], starting with a letter or digit";
  }
  if (
    ref.includes("..") ||
    ref.includes("//") ||
    ref.endsWith("/") ||
    ref.endsWith(".") ||
    ref.endsWith(".lock") ||
    ref.split("/").some((p) => p.startsWith("."))
  ) {
    return "expected a valid git ref name (no .., //, trailing / or ., .lock suffix, or component starting with .)";
  }
  return undefined;
}
