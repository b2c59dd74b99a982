import Image from 'next/image';
import Link from 'next/link';
import boat from '../boat.png';

export default function About() {
  return (
    <main>
      <h1 id="about">About this sample</h1>
      <Image id="logo" src="/logo.png" alt="logo" width={64} height={64} />
      <Image id="boat" src={boat} alt="boat" />
      <Link id="home" href="/">Home</Link>
    </main>
  );
}
