export type { AuditEvent } from './audit'
export { audit, auditRow, listAudit } from './audit'
