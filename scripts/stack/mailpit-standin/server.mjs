// Mailpit stand-in: keeps every message received over SMTP in memory and lists them as Mailpit's API does.
import { createServer } from 'node:http';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

const messages = [];
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  size: 50 * 1024 * 1024,
  onData(stream, session, done) {
    simpleParser(stream)
      .then((mail) => {
        messages.unshift({
          ID: String(messages.length + 1),
          MessageID: mail.messageId ?? '',
          From: { Address: session.envelope.mailFrom ? session.envelope.mailFrom.address : '' },
          To: session.envelope.rcptTo.map((r) => ({ Address: r.address })),
          Subject: mail.subject ?? '',
          Attachments: mail.attachments.length,
          Size: mail.html ? mail.html.length : 0,
          Created: new Date().toISOString(),
        });
        done();
      })
      .catch(done);
  },
});
smtp.listen(1025, '0.0.0.0');

createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  res.setHeader('content-type', 'application/json');
  if (url.pathname === '/readyz') return res.end('{"ok":true}');
  if (url.pathname === '/api/v1/messages')
    return res.end(JSON.stringify({ total: messages.length, count: messages.length, messages }));
  res.statusCode = 404;
  res.end('{"error":"not found"}');
}).listen(8025, '0.0.0.0');
process.on('SIGTERM', () => process.exit(0));
