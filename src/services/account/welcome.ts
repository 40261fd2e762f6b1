import type { Deps } from '../../deps'
import { accountLocale } from '../../i18n/locale'
import type { UserRow } from '../../storage/db/schema'
import { welcomeEmail } from '../../templates/email'
import { auditRow } from '../audit'

/** Active, with an email its holder verified: what a welcome email waits for. */
const welcomeable = (u: Pick<UserRow, 'status' | 'email' | 'emailVerified'>) =>
  u.status === 'active' && u.email !== null && u.emailVerified

/**
 * WELCOME_EMAIL=true (SPEC §13, seed 001's registration.html): the welcome email, when a change
 * just made the account active with a verified email (`before` was not both: a registration
 * completed with its code or link, an admin activating a pending account, or an active account
 * verifying its first email). Sent after the response, best effort; once per account: the send
 * is audited (`welcome_email_sent`) and a later transition (an admin replaced the email, which
 * the user verifies again) finds that event and sends nothing. That read, like the send, comes
 * after the answer and only on such a transition. Read from `deps`: a user pool may override it.
 */
export function welcomeIfNew(deps: Deps, before: Pick<UserRow, 'status' | 'emailVerified'> | undefined, after: UserRow): void {
  if (!deps.config.WELCOME_EMAIL || !welcomeable(after)) return
  if (before && before.status === 'active' && before.emailVerified) return
  const to = after.email as string
  deps.defer(async () => {
    const sent = await deps.audit.page({ userId: after.id, type: 'welcome_email_sent', limit: 1 })
    if (sent.length > 0) return
    const locale = accountLocale(deps.config, after.locale)
    await deps.email.send(welcomeEmail({ app: deps.config.APP_NAME, to, locale, name: after.name }))
    await deps.audit.insert(auditRow(deps, { type: 'welcome_email_sent', subjectId: after.id }))
  })
}
