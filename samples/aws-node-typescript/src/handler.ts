import { greet } from './lib/greeting';

interface HttpEvent {
  queryStringParameters?: Record<string, string | undefined>;
}

interface HttpResult {
  statusCode: number;
  body: string;
}

export const hello = async (event: HttpEvent): Promise<HttpResult> => {
  const name: string = event.queryStringParameters?.name ?? 'world';
  return { statusCode: 200, body: JSON.stringify(greet(name)) };
};

export const fail = async (_event: HttpEvent): Promise<HttpResult> => {
  const reason: string = 'typed failure';
  throw new Error(`fail handler: ${reason}`);
};
