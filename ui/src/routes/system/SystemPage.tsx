import { useQuery } from '../../api/hooks';
import { Banner, Spinner } from '../../components/Feedback';
import { Page } from '../../components/Page';
import { CacheCard } from './CacheCard';
import { DoctorCard } from './DoctorCard';
import { OperationCatalogue } from './OperationCatalogue';
import { SystemInfoCard } from './SystemInfoCard';
import { UpgradeCard } from './UpgradeCard';

export function SystemPage() {
  const info = useQuery('system.info', {});
  // Nothing makes these stale but a resync; each visit asks again.
  const catalogue = useQuery('system.operations', {});

  return (
    <Page title="System" subtitle="The daemon, its health, upgrades and caches, and the operations it offers" testId="page-system">
      {info.error ? <Banner tone="error">{info.error.message}</Banner> : info.data ? <SystemInfoCard info={info.data} /> : <Spinner />}
      <DoctorCard />
      <UpgradeCard />
      <CacheCard />
      {catalogue.error ? (
        <Banner tone="error">{catalogue.error.message}</Banner>
      ) : catalogue.data ? (
        <OperationCatalogue operations={catalogue.data} />
      ) : (
        <Spinner label="Loading operations" />
      )}
    </Page>
  );
}
