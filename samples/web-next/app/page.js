import { headers } from 'next/headers';

// Rendered on the server for every request (it reads the request's headers).
export default async function Home() {
  const prefix = (await headers()).get('x-forwarded-prefix') ?? '';
  return (
    <main>
      <h1>Hello from Next.js</h1>
      <p id="rendered">rendered at request time under {prefix || '/'}</p>
    </main>
  );
}
