import Link from 'next/link';

export default function About() {
  return (
    <main>
      <h1 id="about">About this sample</h1>
      <Link id="home" href="/">Home</Link>
    </main>
  );
}
