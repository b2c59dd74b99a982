import Link from 'next/link';

// Rendered on the server for every request; links written from / work under whatever prefix the app is served at.
export const dynamic = 'force-dynamic';

export default function Home() {
  return (
    <main>
      <h1>Hello, Ferry!</h1>
      <p>
        <Link href="/api/hello?name=ferry">GET /api/hello</Link>
      </p>
    </main>
  );
}
