// The AWS SDK warns at load time that releases after January 2027 will need Node 22; it says nothing
// about the pinned version in use here. The SDK's own switch turns that one warning off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
