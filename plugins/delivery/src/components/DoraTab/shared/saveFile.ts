/**
 * Saves a blob as a file the browser downloads: a temporary object URL behind a link with
 * `download`, clicked once and revoked soon after.
 */
export function saveFile(blob: Blob, filename: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  try {
    link.click();
  } finally {
    link.remove();
    // Some browsers read the URL after click() returns.
    window.setTimeout(() => URL.revokeObjectURL(url), 1000);
  }
}
