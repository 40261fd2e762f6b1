import { newId } from '../../crypto/random'
import type { Deps } from '../../deps'
import { AppError } from '../../errors'
import type { AuditRow } from '../../storage/db/schema'
import { type Actor, isAdmin } from '../iam'
import { page } from '../pagination'

/** Every security event the log records (SPEC §6.7). */
export type AuditType =
  | 'user_registered'
  | 'login_succeeded'
  | 'login_failed'
  | 'otp_sent'
  | 'otp_send_failed'
  | 'sms_budget_exhausted'
  | 'sms_fallback_used'
  | 'password_changed'
  | 'password_reset'
  | 'password_set'
  | 'email_verified'
  | 'welcome_email_sent'
  | 'session_revoked'
  | 'sessions_revoked'
  | 'refresh_token_reused'
  | 'authorization_code_reused'
  | 'user_created'
  | 'user_updated'
  | 'user_deleted'
  | 'role_changed'
  | 'status_changed'
  | 'policy_created'
  | 'policy_updated'
  | 'policy_deleted'
  | 'policies_assigned'
  | 'role_policies_set'
  | 'mfa_enrolled'
  | 'mfa_disabled'
  | 'mfa_reset'
  | 'mfa_failed'
  | 'recovery_code_used'
  | 'passkey_added'
  | 'passkey_removed'
  | 'passkey_counter_mismatch'
  | 'oauth_client_created'
  | 'oauth_client_updated'
  | 'oauth_client_deleted'
  | 'oauth_client_secret_rotated'

export interface AuditEvent {
  type: AuditType
  actorId?: string | null
  subjectId?: string | null
  ip?: string | null
  userAgent?: string | null
  /** The pool of the account the event is about; the request's pool when not given. */
  pool?: string
  /** Context only: never a password, code, token or hash. */
  detail?: Record<string, unknown>
}

/** The row an event is stored as. */
export function auditRow(deps: Deps, event: AuditEvent): AuditRow {
  const now = deps.now()
  return {
    id: newId(now),
    at: now,
    type: event.type,
    actorId: event.actorId ?? null,
    subjectId: event.subjectId ?? null,
    pool: event.pool ?? deps.pool.id,
    ip: event.ip ?? null,
    userAgent: event.userAgent?.slice(0, 512) ?? null,
    detail: event.detail ?? null,
  }
}

/** Records an event after the response (`waitUntil`): auditing never slows or fails a request. */
export function audit(deps: Deps, event: AuditEvent): void {
  const row = auditRow(deps, event)
  deps.defer(() => deps.audit.insert(row))
}

export interface AuditView {
  id: string
  at: string
  type: string
  actor_id: string | null
  subject_id: string | null
  pool: string
  ip: string | null
  user_agent: string | null
  detail: Record<string, unknown> | null
}

/** The audit log, newest first, for admins; `user_id` matches the actor or the subject. */
export async function listAudit(
  deps: Deps,
  actor: Actor,
  q: { user_id?: string | undefined; type?: string | undefined; limit: number; cursor?: string | undefined },
): Promise<{ items: AuditView[]; next_cursor: string | null }> {
  if (!isAdmin(actor.role)) throw new AppError('forbidden', 'Only admins read the audit log')
  const rows = await deps.audit.page({ userId: q.user_id, type: q.type, limit: q.limit + 1, cursor: q.cursor })
  return page(rows, q.limit, (r: AuditRow) => ({
    id: r.id,
    at: new Date(r.at).toISOString(),
    type: r.type,
    actor_id: r.actorId,
    subject_id: r.subjectId,
    pool: r.pool,
    ip: r.ip,
    user_agent: r.userAgent,
    detail: r.detail,
  }))
}
