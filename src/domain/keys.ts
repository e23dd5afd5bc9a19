/**
 * The keys sync, store and api share for the persisted matrix and for workloads. Each key has a
 * branded type, and this file holds the ONLY functions that build one or split one back, so the
 * separator, the hash and the order of the parts live in one place (engine/model/ids.ts makes the
 * same promise for the engine's own keys: build in one place, keep the ref next to the key).
 *
 * - ClassKey: a matrix class, the hash of the engine's class signature (stored in class_key,
 *   src_class, dst_class).
 * - ClassPairKey: a class-to-class connection, the key of MatrixSnapshot.connections.
 * - MemberKey: a member's identity within its class (stored in matrix_class_members.member_key).
 * - WorkloadKey: a workload, the engine's `Kind/namespace/name` (re-exported, never rebuilt).
 * - WorkloadNameKey: a workload's namespace and name without its kind, for lookups that take the
 *   kind as an optional filter (whoCanReach shop/backend).
 */
import { createHash } from "node:crypto";
export { workloadKey, type WorkloadKey } from "../engine/index.js";

declare const brand: unique symbol;
type Brand<T, B extends string> = T & { readonly [brand]: B };

export type ClassKey = Brand<string, "ClassKey">;
export type ClassPairKey = Brand<string, "ClassPairKey">;
export type MemberKey = Brand<string, "MemberKey">;
export type WorkloadNameKey = Brand<string, "WorkloadNameKey">;

/** A class key from the engine's class signature: stable across processes and recomputes. */
export function classKeyOf(signature: string): ClassKey {
  return createHash("sha256").update(signature).digest("hex").slice(0, 32) as ClassKey;
}

/**
 * A class key as the database (or a test fixture) holds it. Keys are opaque: one read back is
 * trusted as is, never re-derived.
 */
export function storedClassKey(text: string): ClassKey {
  return text as ClassKey;
}

/** Class keys never contain NUL (PostgreSQL text cannot store it), so NUL separates the pair. */
const PAIR_SEP = "\u0000";

/** The key of `MatrixSnapshot.connections` for the connection from `srcClass` to `dstClass`. */
export function classPairKey(srcClass: ClassKey, dstClass: ClassKey): ClassPairKey {
  return `${srcClass}${PAIR_SEP}${dstClass}` as ClassPairKey;
}

export interface ClassPair {
  readonly srcClass: ClassKey;
  readonly dstClass: ClassKey;
}

/** The two classes of a `classPairKey`. */
export function splitClassPairKey(key: ClassPairKey): ClassPair {
  const i = key.indexOf(PAIR_SEP);
  if (i < 0) throw new TypeError(`matrix connection key without a NUL separator: ${JSON.stringify(key)}`);
  return { srcClass: key.slice(0, i) as ClassKey, dstClass: key.slice(i + 1) as ClassKey };
}

/** What identifies a class member (a ClassMember without its pod count). */
export type MemberIdentity =
  | { readonly type: "workload"; readonly namespace: string; readonly kind: string; readonly name: string }
  | { readonly type: "external"; readonly family: 4 | 6; readonly start: string; readonly end: string };

/**
 * Identity of a member within its class: the workload, or the IP range. Stored in
 * matrix_class_members.member_key, so the format is part of the data (stored rows are closed by
 * it): never change it, never parse it back.
 */
export function memberKey(m: MemberIdentity): MemberKey {
  return JSON.stringify(m.type === "workload" ? ["w", m.namespace, m.kind, m.name] : ["e", m.family, m.start, m.end]) as MemberKey;
}

/** A workload's namespace and name, whatever its kind (the kind is a filter of the lookup). */
export function workloadNameKey(namespace: string, name: string): WorkloadNameKey {
  return `${namespace}${PAIR_SEP}${name}` as WorkloadNameKey;
}
