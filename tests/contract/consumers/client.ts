// A small client written the way a frontend would write it against Gatehouse,
// using both generated type sets: GraphQL Code Generator's operation types
// (generated/graphql.ts) and openapi-typescript's REST types
// (generated/openapi.ts). It is only type-checked (`tsc --noEmit`), never run:
// if a change to schema.graphql or openapi.json breaks this code, CI fails.
//
// The inline operation below is also one of codegen's documents (see
// codegen.ts), so it is validated against the schema like operations/*.graphql.

import type { LoginMutation, LoginMutationVariables, MeQuery } from "./generated/graphql";
import type { components, paths } from "./generated/openapi";

// ---- GraphQL ---------------------------------------------------------------

const LOGIN = /* GraphQL */ `
  mutation Login($username: String!, $password: String!) {
    tokenAuth(username: $username, password: $password) {
      token
      payload
      refreshExpiresIn
      refreshToken
    }
  }
`;

interface GraphQLResponse<TData> {
  data?: TData | null;
  errors?: { message: string; extensions?: { code?: string } }[];
}

async function graphql<TData, TVariables extends Record<string, unknown>>(
  baseUrl: string,
  query: string,
  variables: TVariables,
  token?: string,
): Promise<TData> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `JWT ${token}`;
  const response = await fetch(`${baseUrl}/graphql`, {
    method: "POST",
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<TData>;
  if (body.errors?.length || !body.data) {
    throw new Error(body.errors?.[0]?.message ?? `HTTP ${response.status}`);
  }
  return body.data;
}

export interface Session {
  token: string;
  refreshToken: string | null;
  username: string;
  expiresAt: Date;
  refreshExpiresAt: Date;
}

export async function login(baseUrl: string, username: string, password: string): Promise<Session> {
  const data = await graphql<LoginMutation, LoginMutationVariables>(baseUrl, LOGIN, { username, password });
  const result = data.tokenAuth;
  if (!result) throw new Error("tokenAuth returned null");
  // payload is a GenericScalar (Record<string, unknown>): narrow what we use.
  const { username: claimed, exp } = result.payload;
  if (typeof claimed !== "string" || typeof exp !== "number") throw new Error("unexpected token payload");
  return {
    token: result.token,
    refreshToken: result.refreshToken,
    username: claimed,
    expiresAt: new Date(exp * 1000),
    refreshExpiresAt: new Date(result.refreshExpiresIn * 1000),
  };
}

// A component would render this from the generated MeQuery type.
export function displayName(me: NonNullable<MeQuery["me"]>): string {
  const full = `${me.firstName} ${me.lastName}`.trim();
  return full || me.username;
}

// ---- REST ------------------------------------------------------------------

// The JSON body of a response, whatever parameters its media type carries
// (the spec says `application/json; charset=utf-8`).
type JsonBody<R> = R extends { content: infer C }
  ? C[Extract<keyof C, `application/json${string}`>]
  : never;

type MeOk = JsonBody<paths["/api/users/me"]["get"]["responses"][200]>;
type ErrorBody = components["schemas"]["ErrorBody"];
export type RestUser = components["schemas"]["User"];

export async function fetchMe(baseUrl: string, session: Session): Promise<RestUser> {
  const response = await fetch(`${baseUrl}/api/users/me`, {
    headers: { Authorization: `Bearer ${session.token}` },
  });
  if (response.status === 200) {
    const user: MeOk = (await response.json()) as MeOk;
    return user;
  }
  const error = (await response.json()) as ErrorBody;
  throw new Error(`${error.code}: ${error.message}`);
}

// The same person, as REST and GraphQL describe them.
export function sameUser(rest: RestUser, gql: NonNullable<MeQuery["me"]>): boolean {
  return (
    String(rest.id) === gql.id &&
    rest.username === gql.username &&
    rest.email === gql.email &&
    rest.is_staff === gql.isStaff &&
    rest.date_joined === gql.dateJoined &&
    (rest.last_login ?? null) === gql.lastLogin
  );
}
