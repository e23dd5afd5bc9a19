/**
 * What a caller may see. A token scoped to namespaces sees nothing outside them, by any route:
 * GraphQL, exports and chat all go through QueryService, which applies the scope to every answer.
 * External address ranges belong to no namespace and stay visible.
 */
export type Scope = { readonly all: true; readonly principal: string } | { readonly all: false; readonly principal: string; readonly namespaces: ReadonlySet<string> };

export const FULL_SCOPE: Scope = { all: true, principal: "local" };

export function inScope(scope: Scope, namespace: string): boolean {
  return scope.all || scope.namespaces.has(namespace);
}
