package sandbox

// Migration from the sandbox's first on-disk layout: every object inside one
// bolt file, DATA/s3.bolt, written by gofakes3's s3bolt. The first start
// with the new layout imports its buckets, objects (bytes, metadata, times)
// and remembered multipart ETags into the disk store, then renames the file
// to s3.bolt.migrated, which may be deleted. Uploads in progress were never
// kept there. Keys already in the store are left alone, so an import cut
// short simply runs again on the next start.

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/johannesboyne/gofakes3"
	bolt "go.etcd.io/bbolt"
	"gopkg.in/mgo.v2/bson"
)

// migratedSuffix is appended to an imported s3.bolt's name.
const migratedSuffix = ".migrated"

// boltObject mirrors s3bolt's object record (its schema.go).
type boltObject struct {
	Name         string
	Metadata     map[string]string
	LastModified time.Time
	Size         int64
	Contents     []byte
	Hash         []byte
}

// migrateBolt imports the s3.bolt at path, if there is one, and tells log.
func (d *diskStore) migrateBolt(path string, log io.Writer) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	old, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, ReadOnly: true})
	if errors.Is(err, bolt.ErrTimeout) {
		return fmt.Errorf("open old sandbox database %s: %w", path, errLocked)
	}
	if err != nil {
		return fmt.Errorf("open old sandbox database %s: %w", path, err)
	}
	n := 0
	err = old.View(func(tx *bolt.Tx) error {
		etags := map[string]string{} // bucket\x00key -> "md5hex etag"
		if meta := tx.Bucket([]byte("_meta")); meta != nil {
			if b := meta.Bucket([]byte("cfsign-multipart-etags")); b != nil {
				b.ForEach(func(k, v []byte) error {
					etags[string(k)] = string(v)
					return nil
				})
			}
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			if bytes.Equal(name, []byte("_meta")) {
				return nil
			}
			bucket := string(name)
			if err := d.CreateBucket(bucket); err != nil && !gofakes3.IsAlreadyExists(err) {
				return err
			}
			return b.ForEach(func(k, v []byte) error {
				var o boltObject
				if err := bson.Unmarshal(v, &o); err != nil {
					return fmt.Errorf("object %s/%s is damaged: %v", bucket, k, err)
				}
				rec, err := d.writeObject(bytes.NewReader(o.Contents), int64(len(o.Contents)))
				if err != nil {
					return err
				}
				rec.Meta, rec.Modified = o.Metadata, o.LastModified
				if md5hex, etag, ok := strings.Cut(etags[bucket+"\x00"+string(k)], " "); ok && md5hex == fmt.Sprintf("%x", rec.Hash) {
					rec.ETag = etag
				}
				added, err := d.commitNew(bucket, string(k), rec)
				if added {
					n++
				}
				return err
			})
		})
	})
	old.Close()
	if err != nil {
		return fmt.Errorf("import old sandbox database %s: %w", path, err)
	}
	if err := os.Rename(path, path+migratedSuffix); err != nil {
		return fmt.Errorf("import old sandbox database %s: %w", path, err)
	}
	fmt.Fprintf(log, "sandbox: imported %d objects from %s into %s; the old file is now %s and may be deleted\n",
		n, path, d.dir, path+migratedSuffix)
	return nil
}

// commitNew records o as key's object unless key has one already; then it
// removes o's files.
func (d *diskStore) commitNew(bucket, key string, o *diskObject) (bool, error) {
	added := false
	err := d.db.Update(func(tx *bolt.Tx) error {
		objs := objectsOf(tx, bucket)
		if objs == nil {
			return gofakes3.BucketNotFound(bucket)
		}
		if objs.Get([]byte(key)) != nil {
			return nil
		}
		added = true
		return putJSON(objs, []byte(key), o)
	})
	if err != nil || !added {
		d.removeFiles(o.Files)
	}
	return added, err
}
