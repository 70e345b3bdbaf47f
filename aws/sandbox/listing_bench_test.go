package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	sdkaws "github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	bolt "go.etcd.io/bbolt"
)

// BenchmarkDiskListPage times one ListObjectsV2 page of 1,000 keys from the
// middle of a bucket of 10,000 and of 1,000,000 objects, through the on-disk
// sandbox's HTTP server: a page should cost the same at both sizes. The
// index is seeded directly (a million PUTs would take the whole run).
func BenchmarkDiskListPage(b *testing.B) {
	for _, n := range []int{10_000, 1_000_000} {
		dir := b.TempDir()
		seedDiskIndex(b, dir, n)
		sb, err := Start(context.Background(), Options{DataDir: dir})
		if err != nil {
			b.Fatal(err)
		}
		c := sbClient(sb)
		middle := fmt.Sprintf("many/obj-%08d", n/2)
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			for range b.N {
				out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: &sb.Bucket,
					Prefix: sdkaws.String("many/"), StartAfter: &middle, MaxKeys: sdkaws.Int32(1000)})
				if err != nil {
					b.Fatal(err)
				}
				if len(out.Contents) != 1000 || sdkaws.ToString(out.Contents[0].Key) <= middle {
					b.Fatalf("page of %d from %q", len(out.Contents), sdkaws.ToString(out.Contents[0].Key))
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/page")
		})
		sb.Close()
	}
}

// seedDiskIndex puts n empty objects many/obj-NNNNNNNN into the sandbox
// bucket of a disk store in dir, in transactions of 100,000 records.
func seedDiskIndex(b *testing.B, dir string, n int) {
	b.Helper()
	d, err := openDiskStore(dir + "/" + storeDirName)
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	if err := d.CreateBucket(Bucket); err != nil {
		b.Fatal(err)
	}
	rec, err := json.Marshal(diskObject{Hash: []byte{0xd4, 0x1d, 0x8c, 0xd9, 0x8f, 0x00, 0xb2, 0x04, 0xe9, 0x80, 0x09, 0x98, 0xec, 0xf8, 0x42, 0x7e},
		Modified: time.Now(), Meta: map[string]string{"Content-Type": "text/plain"}})
	if err != nil {
		b.Fatal(err)
	}
	const batch = 100_000
	for i := 0; i < n; i += batch {
		err := d.db.Update(func(tx *bolt.Tx) error {
			objs := objectsOf(tx, Bucket)
			objs.FillPercent = 1 // keys arrive in order
			for j := i; j < min(i+batch, n); j++ {
				if err := objs.Put(fmt.Appendf(nil, "many/obj-%08d", j), rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}
