'use client';

import { useState } from 'react';

// A client component: its button works only once the page has hydrated, i.e. once /_next/ scripts loaded.
export default function Counter() {
  const [count, setCount] = useState(0);
  return (
    <button id="counter" onClick={() => setCount(count + 1)}>
      clicked {count} times
    </button>
  );
}
