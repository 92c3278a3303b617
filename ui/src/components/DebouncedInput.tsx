import { useEffect, useRef, useState, type InputHTMLAttributes } from 'react';

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  value: string;
  /** Called `delay` ms after typing stops (and on Enter). */
  onCommit: (value: string) => void;
  delay?: number;
};

/**
 * A text input whose value is owned elsewhere (e.g. the URL): typing is local and committed after
 * a pause; a change from outside (back button, a link) replaces the text.
 */
export function DebouncedInput({ value, onCommit, delay = 250, onKeyDown, ...rest }: Props) {
  const [text, setText] = useState(value);
  const [seen, setSeen] = useState(value);
  if (value !== seen) {
    setSeen(value);
    setText(value);
  }
  const commit = useRef(onCommit);
  useEffect(() => {
    commit.current = onCommit;
  });

  useEffect(() => {
    if (text === seen) return;
    const timer = setTimeout(() => {
      setSeen(text);
      commit.current(text);
    }, delay);
    return () => clearTimeout(timer);
  }, [text, seen, delay]);

  return (
    <input
      {...rest}
      value={text}
      onChange={(e) => setText(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' && text !== seen) {
          setSeen(text);
          commit.current(text);
        }
        onKeyDown?.(e);
      }}
    />
  );
}
