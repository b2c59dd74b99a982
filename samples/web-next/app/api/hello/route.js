export const dynamic = 'force-dynamic';

export function GET(request) {
  const name = new URL(request.url).searchParams.get('name') ?? 'world';
  return Response.json({ app: 'nextjs', greeting: `Hello, ${name}!` });
}
