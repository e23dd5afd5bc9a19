/**
 * Sorts a short array of distinct strings in place, ascending by UTF-16 code units (the order of
 * Array.prototype.sort() and of `<`). For the handful of label keys or port names sorted once per
 * pod: Array.prototype.sort allocates a work array on every call, tens of MB per 100k pods.
 */
export function sortSmallStrings(a: string[]): string[] {
  for (let i = 1; i < a.length; i++) {
    const v = a[i]!;
    let j = i - 1;
    for (; j >= 0 && a[j]! > v; j--) a[j + 1] = a[j]!;
    a[j + 1] = v;
  }
  return a;
}
