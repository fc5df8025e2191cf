import { USER_ROLES, type UserRole } from '../config/consortium.ts';

/** Every role a certificate can carry, in its OU. The role decides what an RPC may do. */
export const ROLES = ['coordinator', 'site', ...USER_ROLES] as const;
export type Role = (typeof ROLES)[number];
export { USER_ROLES, type UserRole };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

export function isUserRole(value: unknown): value is UserRole {
  return typeof value === 'string' && (USER_ROLES as readonly string[]).includes(value);
}
