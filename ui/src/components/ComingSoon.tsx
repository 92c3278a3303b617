import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

/** An honest placeholder for an area that is not built yet: what it will do, no fake data. */
export function ComingSoon({ icon, title, items, children }: { icon: IconName; title: string; items: string[]; children?: ReactNode }) {
  return (
    <div className="coming" data-testid="coming-soon">
      <div className="coming-icon">
        <Icon name={icon} size={28} />
      </div>
      <div>
        <h2>Coming: {title}</h2>
        <p className="muted">This area is not built yet. When it is, it will let you:</p>
        <ul>
          {items.map((item) => (
            <li key={item}>{item}</li>
          ))}
        </ul>
        {children}
      </div>
    </div>
  );
}
