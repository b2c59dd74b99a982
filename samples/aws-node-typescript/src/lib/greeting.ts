export interface Greeting {
  message: string;
  language: 'TypeScript';
}

export function greet(name: string): Greeting {
  return { message: `Hello, ${name}!`, language: 'TypeScript' };
}
