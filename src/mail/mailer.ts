import nodemailer from 'nodemailer';
import type { Logger } from '../logger';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** `send` returns 'sent' through SMTP, or 'logged' when no SMTP server is configured. */
export interface Mailer {
  send(message: MailMessage): Promise<'sent' | 'logged'>;
  close(): void;
}

export function createMailer(smtpUrl: string | undefined, from: string, log: Logger): Mailer {
  if (!smtpUrl) {
    return {
      async send(message) {
        log.warn({ to: message.to, subject: message.subject, text: message.text }, 'SMTP_URL is not set: email written to the log and the outbox only');
        return 'logged';
      },
      close() {},
    };
  }
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message) {
      await transport.sendMail({ from, ...message });
      return 'sent';
    },
    close() {
      transport.close();
    },
  };
}
