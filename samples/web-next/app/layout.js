import './globals.css';
export const metadata = { title: 'Ferry Next.js sample' };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
