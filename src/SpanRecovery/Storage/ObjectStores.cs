namespace SpanRecovery.Storage;

/// <summary>Opens the store a location names: <c>s3://bucket/prefix</c>, or else a directory.</summary>
internal static class ObjectStores
{
    public static IObjectStore Open(string location) =>
        S3ObjectStore.IsS3(location) ? new S3ObjectStore(location) : new DirectoryObjectStore(location);
}
