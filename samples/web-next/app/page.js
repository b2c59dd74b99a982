import { headers } from 'next/headers';
import Link from 'next/link';
import Counter from './counter';

// Rendered on the server for every request (it reads the request's headers).
export default async function Home() {
  const prefix = (await headers()).get('x-forwarded-prefix') ?? '';
  return (
    <main>
      <h1>Hello from Next.js</h1>
      <p id="rendered">rendered at request time under {prefix || '/'}</p>
      <Counter />
      <Link id="about-link" href="/about">About</Link>
    </main>
  );
}
