import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';

/** A Slack-compatible webhook on a free port that keeps the texts it is sent. */
export interface ChatReceiver {
  url: string;
  messages: string[];
  close(): Promise<void>;
}

export async function startChatReceiver(): Promise<ChatReceiver> {
  const messages: string[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', chunk => (body += chunk));
    req.on('end', () => {
      messages.push(JSON.parse(body).text);
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${
      (server.address() as AddressInfo).port
    }/hooks/delivery`,
    messages,
    close: () => new Promise(resolve => server.close(() => resolve())),
  };
}
