import { useMemo, useState } from 'react';
import { Badge, EmptyState } from '../../components/Feedback';
import { Icon } from '../../components/Icon';
import { JsonView } from '../../components/JsonView';
import type { OperationInfo, OpKind } from '../../gen/bindings';

const KIND_TONE: Record<OpKind, 'neutral' | 'accent' | 'warning'> = {
  query: 'neutral',
  mutation: 'accent',
  long_running: 'warning',
};

const KIND_LABEL: Record<OpKind, string> = { query: 'query', mutation: 'mutation', long_running: 'long-running' };

function matches(op: OperationInfo, filter: string): boolean {
  const text = `${op.name} ${op.kind} ${op.method} ${op.path} ${op.doc}`.toLowerCase();
  return filter
    .toLowerCase()
    .split(/\s+/)
    .filter(Boolean)
    .every((t) => text.includes(t));
}

/** A doc line with `backticked` spans shown as code. */
function Doc({ text }: { text: string }) {
  return (
    <>
      {text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part))}
    </>
  );
}

/** Every operation the daemon declares, with its schemas; filterable. */
export function OperationCatalogue({ operations }: { operations: OperationInfo[] }) {
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  const visible = useMemo(() => operations.filter((op) => matches(op, filter)), [operations, filter]);

  const toggle = (name: string) =>
    setOpen((set) => {
      const next = new Set(set);
      if (next.has(name)) next.delete(name);
      else next.add(name);
      return next;
    });

  return (
    <div className="card" data-testid="operation-catalogue">
      <div className="card-header">
        <h2>Operations</h2>
        <span className="muted small">
          {visible.length === operations.length ? `${operations.length} operations` : `${visible.length} of ${operations.length}`} · the same on every
          surface (window, browser, CLI, agents)
        </span>
      </div>
      <label className="search-box">
        <Icon name="search" />
        <span className="sr-only">Filter operations</span>
        <input
          type="search"
          value={filter}
          onChange={(e) => setFilter(e.target.value)}
          placeholder="Filter by name, path, kind or description"
          data-testid="operation-filter"
        />
      </label>
      {visible.length === 0 ? (
        <EmptyState title="No operation matches" />
      ) : (
        <ul className="op-list">
          {visible.map((op) => {
            const expanded = open.has(op.name);
            return (
              <li key={op.name} className="op-item" data-testid="operation-row" data-op={op.name}>
                <button type="button" className="op-summary" aria-expanded={expanded} onClick={() => toggle(op.name)}>
                  <Icon name={expanded ? 'chevronDown' : 'chevronRight'} />
                  <code className="op-name">{op.name}</code>
                  <Badge tone={KIND_TONE[op.kind]}>{KIND_LABEL[op.kind]}</Badge>
                  <span className="op-route mono">
                    <span className={`method method-${op.method.toLowerCase()}`}>{op.method}</span> {op.path}
                  </span>
                  <span className="op-doc" title={op.doc}>
                    <Doc text={op.doc} />
                  </span>
                  {op.mcp ? <Badge>MCP</Badge> : <span />}
                </button>
                {expanded && (
                  <div className="op-schemas" data-testid="operation-schemas">
                    <div>
                      <h3>Input schema</h3>
                      <JsonView value={op.inputSchema} />
                    </div>
                    <div>
                      <h3>Output schema</h3>
                      <JsonView value={op.outputSchema} />
                    </div>
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
