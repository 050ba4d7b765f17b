import type { TypedDocumentNode } from "@graphql-typed-document-node/core";

/** The result type of a typed document from `graphql()`. */
export type ResultOf<D> = D extends TypedDocumentNode<infer R, infer _V> ? R : never;
/** The variables type of a typed document from `graphql()`. */
export type VariablesOf<D> = D extends TypedDocumentNode<infer _R, infer V> ? V : never;

/** True when X and Y are the same type (not merely assignable). */
export type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
