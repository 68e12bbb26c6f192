export { handleApi as handle, initLiveFeeds as init } from '$lib/server/handle';
