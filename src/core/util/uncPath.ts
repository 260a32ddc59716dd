/**
 * A Windows network path as written: `\\host\share\...`, `//host/share/...`, and the device
 * forms `\\?\...`, `\\.\...` (any two leading slashes or backslashes). Opening one makes Windows
 * connect to the host and authenticate with the user's credentials (an NTLM hash a hostile host
 * can capture), so a path that came with a file is never looked at just because it is there.
 * Checked on every platform: files travel between machines.
 */
export function isUncPath(p: string): boolean {
  return /^[\\/]{2}/.test(p.trimStart());
}
