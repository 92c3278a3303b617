/** Pretty-printed JSON in a scrollable block. */
export function JsonView({ value, testId }: { value: unknown; testId?: string }) {
  const text = value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
  return (
    <pre className="json" data-testid={testId}>
      <code>{text}</code>
    </pre>
  );
}
