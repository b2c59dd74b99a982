interface HttpEvent {
  queryStringParameters?: Record<string, string | undefined>;
}

interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

// GET /hello?name=you
export const hello = async (event: HttpEvent): Promise<HttpResult> => {
  const name: string = event.queryStringParameters?.name ?? 'world';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ message: `Hello, ${name}!`, service: '{{name}}' }),
  };
};
