export interface EmailMessage {
  to: string
  subject: string
  text: string
  html: string
}

/** One email provider. Implementations throw on any failure; callers decide on retries. */
export interface EmailSender {
  readonly name: string
  send(message: EmailMessage): Promise<void>
}
