export const dynamic = 'force-dynamic';

export function GET(request) {
  const name = new URL(request.url).searchParams.get('name') ?? 'world';
  return Response.json({ app: '{{name}}', greeting: `Hello, ${name}!` });
}
