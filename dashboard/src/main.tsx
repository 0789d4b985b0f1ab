import { render } from 'preact';
import { createClient } from '#client';

const client = createClient({ baseUrl: location.origin });
render(<p>hello {typeof client.payments.list}</p>, document.getElementById('app') as HTMLElement);
